"""The price list (catalogue) and its CSV import (imports). Serves the products blueprint. Calls: common."""
