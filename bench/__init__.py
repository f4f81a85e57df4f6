"""Benchmarks of the facade against raw HTTP, the openai SDK, LiteLLM and the ollama client."""
