"""The model builders and what they share.

`dense.build_model` (an MLP), `image.build_image_model` (a small CNN),
`autoencoder.build_autoencoder`; `blocks` holds the layer blocks and rules of
thumb they share (hidden widths, initializers, dropout, the output layer),
`optimizers` the optimizer choice and compilation.
"""
