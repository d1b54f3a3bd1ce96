"""The product catalog of Northwind Electronics, the demo company."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CATEGORIES: tuple[str, ...] = (
    "headphones",
    "laptops",
    "phones",
    "wearables",
    "smart home",
    "cameras",
    "accessories",
)


@dataclass(frozen=True)
class Product:
    """One product the company sells; ``support_article`` names its troubleshooting article."""

    sku: str
    name: str
    category: str
    price: Decimal
    warranty_months: int
    support_article: str | None = None


def _p(
    sku: str, name: str, category: str, price: str, months: int, article: str | None = None
) -> Product:
    return Product(sku, name, category, Decimal(price), months, article)


PRODUCTS: tuple[Product, ...] = (
    # Headphones and audio: 12-month standard warranty.
    _p("VX2-BLK", "Voltra X2 Wireless Headphones", "headphones", "199.00", 12, "voltra-x2-pairing"),
    _p("VSA-GRY", "Voltra Studio ANC Headphones", "headphones", "299.00", 12, "voltra-studio-anc"),
    _p("ABP-WHT", "Aero Buds Pro", "headphones", "149.00", 12, "aero-buds-charging-case"),
    _p("ABL-BLK", "Aero Buds Lite", "headphones", "79.00", 12, "aero-buds-charging-case"),
    _p("VGO-BLU", "Voltra Go Portable Speaker", "headphones", "89.00", 12, "voltra-go-speaker"),
    # Laptops: 24 months.
    _p("N14-SLV", "Nimbus 14 Laptop", "laptops", "999.00", 24, "nimbus-battery"),
    _p("N16P-GRY", "Nimbus 16 Pro Laptop", "laptops", "1799.00", 24, "nimbus-wont-boot"),
    _p("NA13-SLV", "Nimbus Air 13 Laptop", "laptops", "749.00", 24, "nimbus-wont-boot"),
    # Phones: 24 months.
    _p("OR8-BLK", "Orbit 8 Smartphone", "phones", "699.00", 24, "orbit-charging"),
    _p("OR8M-BLU", "Orbit 8 Max Smartphone", "phones", "999.00", 24, "orbit-charging"),
    _p("ORL-GRN", "Orbit Lite Smartphone", "phones", "349.00", 24, "orbit-no-signal"),
    # Wearables: 12 months.
    _p("PW3-BLK", "Pulse Watch 3", "wearables", "249.00", 12, "pulse-watch-sync"),
    _p("PB2-BLK", "Pulse Band 2", "wearables", "59.00", 12, "pulse-watch-sync"),
    # Smart home: 12 months.
    _p("HHM-CHR", "HomeHub Mini", "smart home", "49.00", 12, "homehub-mini-wifi-setup"),
    _p("HHX-WHT", "HomeHub Max Smart Display", "smart home", "179.00", 12, "homehub-max-display"),
    _p("GLB-4PK", "Glow Smart Bulb 4-Pack", "smart home", "39.00", 12, "glow-bulbs-pairing"),
    _p("SVD-BLK", "Sentry Video Doorbell", "smart home", "129.00", 12, "sentry-doorbell-offline"),
    _p("SIC-WHT", "Sentry Indoor Camera", "smart home", "59.00", 12, "sentry-doorbell-offline"),
    # Cameras: 24 months.
    _p(
        "KM50-BDY",
        "Kestrel M50 Mirrorless Camera",
        "cameras",
        "1299.00",
        24,
        "kestrel-m50-firmware",
    ),
    _p(
        "KA4K-BLK",
        "Kestrel Action 4K Camera",
        "cameras",
        "279.00",
        24,
        "kestrel-action-overheating",
    ),
    _p("K35-F18", "Kestrel 35mm f/1.8 Lens", "cameras", "399.00", 24),
    # Accessories: 12 months.
    _p("USBC-1M", "USB-C Cable 1m", "accessories", "12.00", 12),
    _p("VCH-65W", "Volt 65W USB-C Charger", "accessories", "39.00", 12),
    _p(
        "PC20K-BLK",
        "PowerCell 20000 Power Bank",
        "accessories",
        "49.00",
        12,
        "powercell-power-bank",
    ),
    _p("NSL-14", "Nimbus Laptop Sleeve 14in", "accessories", "29.00", 12),
    _p("OR8-CASE", "Orbit 8 Clear Case", "accessories", "19.00", 12),
    _p("TPM-GRY", "TrackPad Wireless Mouse", "accessories", "29.00", 12),
    _p("SD128-V30", "Kestrel 128GB microSD Card", "accessories", "24.00", 12),
)


def product_by_sku(sku: str) -> Product:
    """Return the product with this SKU (KeyError if unknown)."""
    for product in PRODUCTS:
        if product.sku == sku:
            return product
    raise KeyError(sku)


__all__ = ["CATEGORIES", "PRODUCTS", "Product", "product_by_sku"]
