"""vLLM: its OpenAI-style routes through LiteLLM and its own endpoints."""
