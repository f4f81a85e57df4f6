"""The LangChain standard-suite input flags shared by every chat suite of this project.

Both the reference-server suites and the real-vLLM suite serve text models over the OpenAI chat
API on an offline machine; these inputs are switched off for the reasons given here.
"""

from __future__ import annotations


class TextOnlyInputs:
    """Mix in before ``ChatModelIntegrationTests``: media and foreign formats off, with reasons."""

    @property
    def supports_image_inputs(self) -> bool:
        # The standard test downloads its image from github.com; CI runs offline. Image blocks are
        # covered offline by tests/contract/test_langchain_chat.py::test_image_blocks_reach_the_server.
        return False

    @property
    def supports_image_urls(self) -> bool:
        # Ollama takes image bytes only; vLLM fetches URLs itself, which needs internet here.
        return False

    @property
    def supports_anthropic_inputs(self) -> bool:
        # Anthropic-format tools (input_schema) and thinking blocks are not OpenAI-compatible input.
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        # OpenAI-style tool messages carry text; neither platform takes images in a tool result.
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        # Neither vLLM's nor Ollama's chat API takes PDF files.
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        # Ollama has no audio input; vLLM's needs an audio model (and the test downloads audio).
        return False

    @property
    def supports_video_inputs(self) -> bool:
        # Not part of either platform's chat API for text models.
        return False
