"""Imports of the files CRMs export as they are (Salesforce, HubSpot, or a mapping of one's own): each vendor row is
translated into this service's native rows, which then go through the native import (domain.imports.service)."""
