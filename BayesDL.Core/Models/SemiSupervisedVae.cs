using BayesDL.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Models;

/// <summary>
/// The semi-supervised model M2 of Kingma, Rezende, Mohamed &amp; Welling (NeurIPS 2014): p(y) uniform over C
/// classes, p(z) = N(0, I), p(x | y, z); inference q(z | x, y) (a conditional <see cref="Vae"/>) and a classifier q(y | x).
/// <list type="bullet">
/// <item>labelled (x, y): -L(x, y) with L(x, y) = E_q[log p(x|y,z)] + log p(y) - KL(q(z|x,y) || p(z));</item>
/// <item>unlabelled x: U(x) = sum_y q(y|x) (-L(x, y)) - H(q(y|x)), the label summed out exactly;</item>
/// <item>loss = mean_labelled(-L) + mean_unlabelled(U) + alpha * mean_labelled(-log q(y|x)).</item>
/// </list>
/// The last term trains the classifier on the labels directly (the paper's alpha; Pyro's M2 example uses about 46
/// with per-example means, as here). <see cref="Predict"/> is the classifier q(y | x).
/// </summary>
public sealed class SemiSupervisedVae : nn.Module<Tensor, Tensor>
{
    readonly ConditionalVae generative;
    readonly nn.Module<Tensor, Tensor> classifier;

    /// <summary><paramref name="classifier"/> maps [B, dataFeatures] to C logits.</summary>
    public SemiSupervisedVae(ConditionalVae generative, nn.Module<Tensor, Tensor> classifier, double alpha = 46,
        string name = "SemiSupervisedVae") : base(name)
    {
        Check.Argument(double.IsFinite(alpha) && alpha >= 0, name, "alpha", alpha.ToString("R"), ">= 0 and finite");
        this.generative = generative;
        this.classifier = classifier;
        Alpha = alpha;
        RegisterComponents();
    }

    /// <summary>Weight of the labelled classification term.</summary>
    public double Alpha { get; }

    /// <summary>The generative part (q(z|x,y), p(x|y,z)).</summary>
    public ConditionalVae Generative => generative;

    /// <summary>Class logits of q(y | x).</summary>
    public override Tensor forward(Tensor x) => classifier.forward(x);

    /// <summary>argmax_y q(y | x), shape [B].</summary>
    public Tensor Predict(Tensor x)
    {
        using var _ = no_grad();
        return classifier.forward(x).argmax(-1);
    }

    /// <summary>L(x, y) per example, shape [B] (includes log p(y) = -log C).</summary>
    public Tensor LabelledBound(Tensor x, Tensor labels) =>
        generative.Elbo(x, labels).Elbo - Math.Log(generative.Classes);

    /// <summary>U(x) per example, shape [B]: sum_y q(y|x)(-L(x,y)) - H(q(y|x)).</summary>
    public Tensor UnlabelledLoss(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = generative.Classes;
        Tensor xs = x.unsqueeze(0).expand(c, b, x.shape[1]).reshape(c * b, x.shape[1]);
        Tensor ys = arange(c, device: x.device).repeat_interleave(b);
        Tensor bounds = LabelledBound(xs, ys).reshape(c, b).t();              // [B, C]
        Tensor logQ = classifier.forward(x).log_softmax(-1);
        Tensor q = logQ.exp();
        Tensor u = (q * (bounds.neg() + logQ)).sum(-1);                       // -H(q) = sum q log q
        return u.MoveToOuterDisposeScope();
    }

    /// <summary>The M2 training loss on a labelled and an unlabelled batch (scalar).</summary>
    public Tensor Loss(Tensor labelledX, Tensor labels, Tensor unlabelledX)
    {
        using var scope = NewDisposeScope();
        Tensor supervised = LabelledBound(labelledX, labels).neg().mean();
        Tensor unsupervised = UnlabelledLoss(unlabelledX).mean();
        Tensor classification = nn.functional.cross_entropy(classifier.forward(labelledX), labels);
        return (supervised + unsupervised + Alpha * classification).MoveToOuterDisposeScope();
    }
}
