"""Business rules as plain functions over the database session."""
