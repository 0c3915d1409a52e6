"""Media input and output: decoding audio and images, encoding audio and video."""
