from dabai.channels.api.adapter import adapter

__all__ = ["adapter"]
