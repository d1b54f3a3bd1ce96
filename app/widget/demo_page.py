"""The demo host page: a small account page of the company's shop with the widget mounted.

The page stands for the customer's own site. Its sign-in is the shop's (here it checks Deskpilot's
user table); once signed in, the page script asks the shop's backend for a widget token and
mounts Chainlit's Copilot widget with it. No inline event handlers and no inline script: the
script is served from ``/widget-demo/demo.js``, so a strict Content-Security-Policy can allow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

DEMO_SCRIPT = """\
(function () {
  "use strict";
  var status = document.getElementById("widget-status");
  if (!document.body.hasAttribute("data-signed-in")) {
    return;
  }
  fetch("/widget-demo/token", {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("the shop could not get a support token (HTTP " + response.status + ")");
      }
      return response.json();
    })
    .then(function (body) {
      // The Deskpilot server; on a real site this is Deskpilot's URL, not the shop's.
      window.mountChainlitWidget({
        chainlitServer: window.location.origin,
        accessToken: body.token,
        opened: true,
      });
      status.textContent = "Our support assistant is open in the corner of this page.";
    })
    .catch(function (error) {
      status.textContent = "The support assistant could not start: " + error.message;
    });
})();
"""

_STYLE = """\
body { font-family: system-ui, sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; }
header { background: #0b3d91; color: #fff; padding: 1rem 2rem; }
header h1 { margin: 0; font-size: 1.4rem; }
main { max-width: 40rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem;
       border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.1); }
label { display: block; margin-top: .8rem; }
input { padding: .4rem; width: 100%; box-sizing: border-box; }
button { margin-top: 1rem; padding: .5rem 1.2rem; }
.error { color: #b00020; }
.note { color: #52606d; font-size: .9rem; }
"""


@dataclass(frozen=True, slots=True)
class ShopAccount:
    """What the account page shows of the signed-in shop customer."""

    username: str
    customer_id: str
    customer_name: str


def _sign_in_form(error: str | None) -> str:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return f"""
    <h2>Sign in to your account</h2>
    {problem}
    <form method="post" action="/widget-demo/session">
      <label>User name <input name="username" autocomplete="username" required></label>
      <label>Password
        <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>
    <p class="note">Use a customer login (for example the seeded <code>demo-customer</code>).
    Staff logins are refused here: this is the customers' site.</p>"""


def _account(account: ShopAccount) -> str:
    return f"""
    <h2>Welcome back, {escape(account.customer_name)}</h2>
    <p>Customer number <strong>{escape(account.customer_id)}</strong>
       · signed in as <code>{escape(account.username)}</code></p>
    <p id="widget-status" class="note" aria-live="polite">Starting the support assistant…</p>
    <form method="post" action="/widget-demo/logout">
      <button type="submit">Sign out</button>
    </form>"""


def render_demo_page(company: str, account: ShopAccount | None, error: str | None = None) -> str:
    """The whole page: the sign-in form, or the account with the widget mounted."""
    body = _account(account) if account is not None else _sign_in_form(error)
    signed_in = " data-signed-in" if account is not None else ""
    scripts = (
        '<script src="/copilot/index.js" defer></script>\n'
        '<script src="/widget-demo/demo.js" defer></script>'
        if account is not None
        else ""
    )
    title = f"{company} — My account"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
{_STYLE}</style>
{scripts}
</head>
<body{signed_in}>
<header><h1>{escape(title)}</h1></header>
<main>{body}
</main>
</body>
</html>
"""
