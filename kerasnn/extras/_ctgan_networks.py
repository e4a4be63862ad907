"""CTGAN's networks: the generator, the PacGAN critic and their WGAN-GP
training step."""

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="kerasnn")
class CTGANGenerator(keras.Model):
    """CTGAN's generator network (noise and conditional vector in, raw
    outputs out), whose config also holds what sampling needs: the columns'
    decoding, the output spans and the dtypes (`sampling`)."""

    def __init__(self, *args, sampling=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain JSON, kept out of Keras's attribute tracking.
        object.__setattr__(self, "sampling", sampling or {})

    def get_config(self):
        return {**super().get_config(), "sampling": self.sampling}


def _activate(raw, spans):
    """Raw generator outputs -> training rows: `tanh` offsets, and one-hot
    parts as Gumbel-softmax samples."""
    import tensorflow as tf

    parts = []
    for start, size, kind in spans:
        block = raw[:, start:start + size]
        if kind == "tanh":
            parts.append(tf.tanh(block))
        else:  # Gumbel-softmax, temperature 0.2
            u = tf.random.uniform(tf.shape(block), 1e-10, 1.0)
            parts.append(tf.nn.softmax(
                (block - tf.math.log(-tf.math.log(u))) / 0.2))
    return tf.concat(parts, axis=1)


def _draw(raw, spans, rng):
    """Raw generator outputs -> rows, as CTGAN samples them: each one-hot
    part is a draw from the softmax of its logits (the argmax of the
    Gumbel-perturbed logits, so the draw that training's Gumbel-softmax
    stands for), not its most likely value, which would lose every value
    the generator makes through the noise."""
    parts = []
    for start, size, kind in spans:
        block = raw[:, start:start + size]
        if kind == "tanh":
            parts.append(np.tanh(block))
            continue
        gumbel = -np.log(-np.log(rng.uniform(1e-10, 1.0, block.shape)))
        parts.append(np.eye(size)[np.argmax(block + gumbel, axis=1)])
    return np.concatenate(parts, axis=1)


class _Trainer(keras.Model):
    """The generator and the PacGAN critic, trained by WGAN-GP."""

    def __init__(self, *, data_dim, cond_dim, spans, cond_spans, noise_dim,
                 width, pac, sampling=None, **kwargs):
        super().__init__(**kwargs)
        self.spans, self.cond_spans = spans, cond_spans
        self.noise_dim, self.pac = noise_dim, pac
        z = keras.Input((noise_dim + cond_dim,))
        h = z
        for i in range(2):  # residual layers: concat(h, relu(bn(dense(h))))
            r = keras.layers.Dense(width, name=f"g_dense{i}")(h)
            r = keras.layers.BatchNormalization(name=f"g_bn{i}")(r)
            r = keras.layers.ReLU(name=f"g_relu{i}")(r)
            h = keras.layers.Concatenate(name=f"g_cat{i}")([h, r])
        raw = keras.layers.Dense(data_dim, name="g_out")(h)
        self.generator = CTGANGenerator(z, raw, name="generator",
                                        sampling=sampling)
        x = keras.Input(((data_dim + cond_dim) * pac,))
        h = x
        for i in range(2):
            h = keras.layers.Dense(width, name=f"d_dense{i}")(h)
            h = keras.layers.LeakyReLU(0.2, name=f"d_leaky{i}")(h)
            h = keras.layers.Dropout(0.5, name=f"d_dropout{i}")(h)
        score = keras.layers.Dense(1, name="d_out")(h)
        self.critic = keras.Model(x, score, name="critic")

    def compile(self, g_optimizer, d_optimizer):
        super().compile()
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.g_loss_tracker = keras.metrics.Mean(name="generator_loss")
        self.d_loss_tracker = keras.metrics.Mean(name="critic_loss")

    @property
    def metrics(self):
        return [self.g_loss_tracker, self.d_loss_tracker]

    def _activate(self, raw):
        return _activate(raw, self.spans)

    def _pack(self, rows, cond):
        import tensorflow as tf

        joined = tf.concat([rows, cond], axis=1)
        return tf.reshape(joined, (-1, joined.shape[1] * self.pac))

    def train_step(self, batch):
        import tensorflow as tf

        if isinstance(batch, tuple):
            batch = batch[0]
        real, cond, mask = batch["real"], batch["cond"], batch["mask"]
        n = tf.shape(real)[0]
        noise = tf.random.normal((n, self.noise_dim))
        # The critic: WGAN loss and gradient penalty on packed rows.
        fake = self._activate(self.generator(
            tf.concat([noise, cond], axis=1), training=True))
        with tf.GradientTape() as tape:
            real_packed = self._pack(real, cond)
            fake_packed = self._pack(fake, cond)
            alpha = tf.random.uniform((tf.shape(real_packed)[0], 1))
            mixed = real_packed + alpha * (fake_packed - real_packed)
            with tf.GradientTape() as inner:
                inner.watch(mixed)
                mixed_score = self.critic(mixed, training=True)
            grads = inner.gradient(mixed_score, mixed)
            penalty = tf.reduce_mean(
                (tf.norm(grads + 1e-12, axis=1) - 1.0) ** 2)
            d_loss = (tf.reduce_mean(self.critic(fake_packed, training=True))
                      - tf.reduce_mean(self.critic(real_packed, training=True))
                      + 10.0 * penalty)
        d_grads = tape.gradient(d_loss, self.critic.trainable_weights)
        self.d_optimizer.apply(d_grads, self.critic.trainable_weights)
        # The generator: fool the critic and honour the condition.
        noise = tf.random.normal((n, self.noise_dim))
        with tf.GradientTape() as tape:
            raw = self.generator(tf.concat([noise, cond], axis=1),
                                 training=True)
            fake = self._activate(raw)
            score = self.critic(self._pack(fake, cond), training=True)
            missed = []
            for j, (c_start, size, d_start) in enumerate(self.cond_spans):
                logits = raw[:, d_start:d_start + size]
                target = cond[:, c_start:c_start + size]
                missed.append(mask[:, j] * tf.nn.softmax_cross_entropy_with_logits(
                    labels=target, logits=logits))
            cond_loss = tf.reduce_mean(tf.add_n(missed))
            g_loss = -tf.reduce_mean(score) + cond_loss
        g_grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(g_grads, self.generator.trainable_weights)
        self.g_loss_tracker.update_state(g_loss)
        self.d_loss_tracker.update_state(d_loss)
        return {m.name: m.result() for m in self.metrics}
