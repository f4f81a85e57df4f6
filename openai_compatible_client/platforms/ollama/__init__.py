"""Ollama: its native routes through LiteLLM and its model-management endpoints."""
