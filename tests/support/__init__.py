"""Test helpers shared by the test tiers."""
