"""OpenAI request/response models. Requests follow the OpenAI API reference's field order."""
