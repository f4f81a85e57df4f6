"""Any OpenAI-compatible server: the common routes and resources every such server has."""
