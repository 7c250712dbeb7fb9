"""The customer portal: homeowners follow their projects and get repairs done."""
