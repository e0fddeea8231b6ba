"""All models, importable from one place (Alembic needs them all loaded)."""
from app.models.activities import Activity
from app.models.audit import AuditEvent
from app.models.automation import AutomationLog, AutomationRun
from app.models.customers import Contact, Customer, CustomerImport, CustomerMerge, Tag
from app.models.deals import Deal, DealStageChange, Stage
from app.models.products import Product, ProductImport
from app.models.rate_limits import RateLimitCounter
from app.models.quotes import Contract, Notification, NumberSequence, Quote, QuoteLine, Setting
from app.models.users import Invitation, Team, User

__all__ = [
    "Activity", "AuditEvent", "AutomationLog", "AutomationRun", "Contact", "Customer", "CustomerImport", "CustomerMerge", "Deal", "DealStageChange",
    "Contract", "Invitation", "Notification", "NumberSequence", "Product", "ProductImport", "Quote", "QuoteLine", "RateLimitCounter", "Setting", "Stage", "Tag", "Team", "User",
]
