"""Japanese text for the ear: cleaning and splitting into sentences."""
