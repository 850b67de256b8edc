"""The `incident` console command."""
