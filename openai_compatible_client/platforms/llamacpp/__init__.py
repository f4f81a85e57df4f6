"""llama.cpp's ``llama-server``: OpenAI-style inference through LiteLLM, native routes as resources."""
