"""The FastAPI application and its routers."""
