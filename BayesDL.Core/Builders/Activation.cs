namespace BayesDL.Builders;

/// <summary>Element-wise activations a declared network can use.</summary>
public enum Activation
{
    /// <summary>max(0, x).</summary>
    Relu,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid,
    /// <summary>log(1 + exp(x)).</summary>
    Softplus,
    /// <summary>x for x &gt; 0, exp(x) - 1 otherwise.</summary>
    Elu,
    /// <summary>x Phi(x).</summary>
    Gelu,
    /// <summary>exp(x_i) / sum_j exp(x_j) over the last dimension (outputs probabilities, not logits).</summary>
    Softmax,
}
