"""Hotline calls: call-centre records with ASR transcripts, and calls logged at the desk."""

from dabai.channels.phone.adapter import PhoneAdapter, adapter, log_call, parse_text_transcript, read_call

__all__ = ["PhoneAdapter", "adapter", "log_call", "parse_text_transcript", "read_call"]
