"""cnn_helpers: the numpy package behind the course book on convolutional neural networks."""
