"""Deals: accounts, deals, qualification records, conversations, who may work on them."""
