"""The demo company Northwind Electronics: catalog, knowledge base, business rules, CRM data."""

from pathlib import Path

from app.demo.generator import DemoSummary, generate_company

KNOWLEDGE_DIR: Path = Path(__file__).parent / "knowledge"
RULES_FILE: Path = Path(__file__).parent / "rules.yaml"

__all__ = ["KNOWLEDGE_DIR", "RULES_FILE", "DemoSummary", "generate_company"]
