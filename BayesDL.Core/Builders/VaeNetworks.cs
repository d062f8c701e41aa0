using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// Encoder and decoder networks for the VAE family on flat image rows [B, C*H*W]. MLPs are Linear-ReLU stacks
/// (Kingma &amp; Welling 2014 use one hidden layer of 400 for MNIST); the convolutional pair is the common
/// two-layer stride-2 design: 4x4 convolutions halve H and W twice (28 -&gt; 14 -&gt; 7), transposed convolutions double them back.
/// Decoders end without an activation: they output the likelihood's raw parameters (logits, means, log-scales).
/// </summary>
public static class VaeNetworks
{
    /// <summary>inputs -&gt; hidden[0] -&gt; ... -&gt; hidden[^1], ReLU after each layer; output width hidden[^1].</summary>
    public static nn.Module<Tensor, Tensor> MlpEncoder(long inputs, params long[] hidden)
    {
        Check.Positive(inputs, nameof(MlpEncoder), "inputs");
        Check.Argument(hidden.Length > 0 && hidden.All(h => h > 0), nameof(MlpEncoder), "hidden", $"[{string.Join(", ", hidden)}]",
            "at least one positive layer width");
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long width = inputs;
        foreach (long h in hidden) { layers.Add(nn.Linear(width, h)); layers.Add(nn.ReLU()); width = h; }
        return nn.Sequential(layers);
    }

    /// <summary>latent -&gt; hidden (ReLU) -&gt; outputs (no activation).</summary>
    public static nn.Module<Tensor, Tensor> MlpDecoder(long latent, long[] hidden, long outputs)
    {
        Check.Positive(outputs, nameof(MlpDecoder), "outputs");
        var layers = new List<nn.Module<Tensor, Tensor>> { MlpEncoder(latent, hidden), nn.Linear(hidden[^1], outputs) };
        return nn.Sequential(layers);
    }

    /// <summary>A classifier inputs -&gt; hidden (ReLU) -&gt; classes logits (M2's q(y|x) and its labelled-only twin).</summary>
    public static nn.Module<Tensor, Tensor> MlpClassifier(long inputs, long[] hidden, long classes) => MlpDecoder(inputs, hidden, classes);

    /// <summary>
    /// [B, channels*height*width] -&gt; conv 4x4/2 (32) -&gt; ReLU -&gt; conv 4x4/2 (64) -&gt; ReLU -&gt; flatten; output width
    /// 64 * (height/4) * (width/4). Height and width must be divisible by 4.
    /// </summary>
    public static nn.Module<Tensor, Tensor> ConvEncoder(long channels = 1, long height = 28, long width = 28)
    {
        CheckImage(nameof(ConvEncoder), channels, height, width);
        return nn.Sequential(
            nn.Unflatten(1, new[] { channels, height, width }),
            nn.Conv2d(channels, 32, 4, stride: 2, padding: 1), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride: 2, padding: 1), nn.ReLU(),
            nn.Flatten());
    }

    /// <summary>The encoder width of <see cref="ConvEncoder"/>.</summary>
    public static long ConvEncoderFeatures(long height = 28, long width = 28) => 64 * (height / 4) * (width / 4);

    /// <summary>
    /// [N, latent] -&gt; Linear to 64 x (H/4) x (W/4) -&gt; ReLU -&gt; transposed conv 4x4/2 (32) -&gt; ReLU -&gt; transposed conv 4x4/2
    /// (channels * parametersPerFeature) -&gt; flatten: [N, parametersPerFeature * channels*height*width], parameter-major.
    /// </summary>
    public static nn.Module<Tensor, Tensor> ConvDecoder(long latent, long channels = 1, long height = 28,
        long width = 28, long parametersPerFeature = 1)
    {
        Check.Positive(latent, nameof(ConvDecoder), "latent");
        Check.Positive(parametersPerFeature, nameof(ConvDecoder), "parametersPerFeature");
        CheckImage(nameof(ConvDecoder), channels, height, width);
        return nn.Sequential(
            nn.Linear(latent, 64 * (height / 4) * (width / 4)), nn.ReLU(),
            nn.Unflatten(1, new[] { 64L, height / 4, width / 4 }),
            nn.ConvTranspose2d(64, 32, 4, stride: 2, padding: 1), nn.ReLU(),
            nn.ConvTranspose2d(32, channels * parametersPerFeature, 4, stride: 2, padding: 1),
            nn.Flatten());
    }

    static void CheckImage(string component, long channels, long height, long width)
    {
        Check.Positive(channels, component, "channels");
        Check.Argument(height > 0 && height % 4 == 0, component, "height", height.ToString(), "a positive multiple of 4");
        Check.Argument(width > 0 && width % 4 == 0, component, "width", width.ToString(), "a positive multiple of 4");
    }
}
