"""estore: marketing analytics for e-commerce event data."""
