"""Image understanding: a pretrained ImageNet encoder for picture features and class names."""
