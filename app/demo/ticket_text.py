"""Wording of demo tickets and interaction summaries, by ticket category."""

from __future__ import annotations

# fmt: off
# (subject, description) templates. Fields: {order} {product} {carrier} {tracking} {expected}
# {first} {total}. Descriptions are in the customer's voice.
TICKETS: dict[str, tuple[tuple[str, str], ...]] = {
    "shipping_late": (
        ("Where is my order {order}?",
         "Hi, my order {order} was shipped with {carrier} but the tracking number {tracking} has "
         "not updated for days. The expected date was {expected}. Can you check what is going on?"),
        ("Parcel not arrived - {order}",
         "My {product} has still not arrived. Tracking said it was due on {expected}. I need it "
         "for a trip next week, please tell me what is happening."),
    ),
    "shipping_in_transit": (
        ("Can {order} arrive sooner?",
         "My order {order} is on its way with {carrier} and the expected date is {expected}. Is "
         "there any way to get the {product} before then?"),
        ("Deliver {order} to a pickup point",
         "I will not be home on {expected} when {order} is due. Can it go to a pickup point?"),
    ),
    "not_received": (
        ("Tracking shows delivered but nothing here",
         "{carrier} says order {order} was delivered but I have checked with neighbours and the "
         "building reception and there is no parcel. What should I do?"),
    ),
    "damage": (
        ("{product} arrived damaged",
         "The box for order {order} was crushed and the {product} inside has a cracked casing. "
         "I have photos of the box and the label. I would like a replacement."),
        ("Broken item in order {order}",
         "Opened my parcel today and the {product} does not turn on, there is a rattle inside. "
         "Please advise how to send it back."),
    ),
    "returns": (
        ("Return for {product}",
         "I would like to return the {product} from order {order}, it is not what I expected. "
         "How do I get a return label?"),
        ("Exchange {product} for another colour",
         "Can I exchange the {product} from {order} for a different colour? It is unopened."),
    ),
    "refund": (
        ("Refund for {order} not received",
         "I sent back the {product} from order {order} and {carrier} shows it was delivered to "
         "you. When will I get my refund of {total}?"),
        ("Refund not showing on my card",
         "Your email says the refund for {order} was issued but I cannot see it on my card "
         "statement yet. How long does it take?"),
    ),
    "technical": (
        ("{product} problem",
         "My {product} from order {order} has stopped working properly. I tried restarting it "
         "but it keeps happening. Is there a fix?"),
        ("Help with my {product}",
         "I can't get the {product} to work with my phone and the setup keeps failing. I have "
         "followed the quick start guide twice. Order {order}."),
        ("{product} keeps disconnecting",
         "Since last week the {product} keeps disconnecting every few minutes. Order {order}."),
    ),
    "safety": (
        ("{product} getting very hot",
         "My {product} got very hot while charging last night and there was a burning smell. "
         "I have unplugged it. Is it safe? Order {order}."),
        ("Battery swelling on {product}",
         "The back of my {product} is bulging and it does not sit flat any more. I think the "
         "battery is swelling. What should I do? Order {order}."),
    ),
    "warranty": (
        ("Warranty repair for {product}",
         "My {product} (order {order}) has developed a fault after a few months of normal use. "
         "I think it is still under warranty, how do I claim?"),
        ("{product} battery not lasting",
         "The battery on my {product} from {order} now lasts half as long as when I bought it. "
         "Is this covered by the warranty?"),
    ),
    "billing": (
        ("Invoice for {order}",
         "I need an invoice with my company name for order {order} for my expenses. Can you "
         "send one?"),
        ("Promo code did not apply",
         "I used a promo code on order {order} but the discount was not taken off. Can you "
         "apply it now?"),
    ),
    "cancelled_charge": (
        ("Charged for cancelled order {order}",
         "I cancelled order {order} but there is still a charge of {total} on my card. Please "
         "check and refund it."),
        ("Pending payment after cancelling {order}",
         "Order {order} was cancelled but my banking app shows {total} pending. Will it go?"),
    ),
    "order_change": (
        ("Change delivery address for {order}",
         "I just placed order {order} and noticed the wrong delivery address. Can you change it "
         "before it ships?"),
        ("Cancel order {order}",
         "Please cancel order {order}, I ordered the {product} by mistake."),
    ),
    "account": (
        ("Can't sign in to my account",
         "I keep getting 'incorrect password' and the reset email does not arrive. I need to "
         "check my orders."),
        ("Lost phone with 2FA app",
         "My phone was stolen and I can't get the two-factor code any more. How can I get back "
         "into my account?"),
        ("Change email address",
         "I want to change the email on my account to my new address but the confirmation "
         "link has expired."),
    ),
    "general": (
        ("Question about Plus membership",
         "How much more do I need to spend to reach the next rewards tier, and do I keep free "
         "shipping?"),
        ("Do you ship to my country?",
         "Can you deliver a {product} abroad and will I have to pay customs fees?"),
    ),
}

# What an agent writes after a contact about a ticket of this kind; fields as above plus {ticket}.
SUMMARIES: dict[str, tuple[str, ...]] = {
    "not_received": ("Parcel for {order} shows delivered but not received; opened a carrier "
                     "trace ({ticket}), which takes up to 5 business days.",),
    "shipping_in_transit": ("Customer asked about {order}; shared {carrier} tracking and the "
                            "carrier's expected date ({ticket}).",),
    "shipping_late": (
        "Customer asked about {order}; shared {carrier} tracking and the carrier's expected date.",
        "Opened a carrier trace for {order} ({ticket}); told customer the trace takes up to 5 "
        "business days.",
    ),
    "damage": ("Customer reported damaged {product} on {order}; photos received, replacement "
               "offered with free return label ({ticket}).",),
    "returns": ("Explained the return window for the customer's tier and sent the return label "
                "for {product} on {order}.",),
    "refund": ("Checked refund for {order}: return received and inspected; explained card refunds "
               "take 5-10 business days ({ticket}).",),
    "technical": ("Walked customer through the troubleshooting steps for {product} ({ticket}).",
                  "Sent the troubleshooting article for {product}; customer will try a reset and "
                  "reply ({ticket})."),
    "safety": ("Safety report on {product} ({ticket}): told customer to stop using and charging "
               "it; escalated to Product Safety for collection.",),
    "warranty": ("Started warranty claim for {product} from {order}; prepaid label sent "
                 "({ticket}).",),
    "billing": ("Billing question on {order}: sent the invoice and explained promo codes can "
                "only be added while an order is processing ({ticket}).",),
    "cancelled_charge": ("Billing question on {order}: the order was cancelled before shipping, "
                         "so no payment was taken; the bank releases the authorisation hold "
                         "within 3-5 business days ({ticket}).",),
    "order_change": ("Customer asked to change {order} while still processing; updated as "
                     "requested ({ticket}).",),
    "account": ("Account access: verified identity with order number and postcode, sent a "
                "password reset link ({ticket}).",),
    "general": ("Answered a question about rewards tiers and shipping benefits.",),
    "order": ("Customer asked when {order} would ship; confirmed it is being packed.",
              "Customer asked for the invoice of {order}; pointed to Orders > Download invoice.",
              "Customer asked how to set up the {product}; sent the quick start link."),
}

AGENTS: tuple[str, ...] = (
    "Maya R.", "Tom B.", "Aisha K.", "Lars N.", "Inés P.", "Kenji W.", "Ruth O.", "Dev S.",
)
# fmt: on

__all__ = ["AGENTS", "SUMMARIES", "TICKETS"]
