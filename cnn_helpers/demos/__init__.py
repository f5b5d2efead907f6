"""The figures, sliders and experiments of each chapter, one module per chapter topic.

Chapter notebooks hold the narrative and short calls; what would otherwise be plotting or
experiment plumbing in a notebook lives here, where it is written once and tested:

=========================  ============================================
chapter                    module
=========================  ============================================
1. Motivation              ``cnn_helpers.demos.motivation``
2. Convolution in 1D       ``cnn_helpers.demos.conv1d``
3. Convolution in 2D       ``cnn_helpers.demos.conv2d``
4. Channels and tensors    ``cnn_helpers.demos.channels``
5. Pooling                 ``cnn_helpers.demos.pooling``
6. Backpropagation         ``cnn_helpers.demos.backprop``
7. Architectures           ``cnn_helpers.demos.architectures``
8. Transfer learning       ``cnn_helpers.demos.transfer``
9. Inside, and breaking it ``cnn_helpers.demos.inside``
=========================  ============================================
"""
