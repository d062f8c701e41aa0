using BayesDL.Data;
using BayesDL.Engine;
using BayesDL.Models;
using BayesDL.Validation;
using static TorchSharp.torch;

namespace BayesDL.Builders;

/// <summary>
/// A declared semi-supervised VAE M2 (Kingma, Rezende, Mohamed &amp; Welling 2014): a conditional VAE q(z | x, y), p(x | y, z)
/// and a classifier q(y | x) that reads a data row and outputs C class logits (see <see cref="SemiSupervisedVae"/> for the
/// objective). <see cref="Validate"/> checks the conditional VAE and that the classifier reads the data width and ends in
/// C logits. Made by <see cref="ConditionalVaeBuilder.SemiSupervised"/>.
/// </summary>
public sealed class SemiSupervisedVaeBuilder
{
    readonly ConditionalVaeBuilder _generative;
    readonly SequentialBuilder _classifier;

    internal SemiSupervisedVaeBuilder(ConditionalVaeBuilder generative, SequentialBuilder classifier, double alpha) =>
        (_generative, _classifier, Alpha) = (generative, classifier, alpha);

    /// <summary>The weight of the labelled classification term.</summary>
    public double Alpha { get; }

    /// <summary>The default weight alpha of the labelled classification term: 46, as in Pyro's M2 example.</summary>
    public const double DefaultAlpha = 46;

    /// <summary>Every mistake in the declaration (empty when it builds); classifier mistakes are prefixed "classifier:".</summary>
    public IReadOnlyList<BuildError> Validate()
    {
        var errors = new List<BuildError>(_generative.Validate());
        if (!(double.IsFinite(Alpha) && Alpha >= 0))
            errors.Add(new(BuildErrorKind.InvalidParameter, -1, "alpha", $"M2: alpha must be >= 0 and finite; found {Alpha}."));
        if (errors.Count > 0) return errors;
        long inputs = Shapes.Elements(_generative.Vae.EncoderDeclaration.ResolvedInput()), data = inputs - _generative.Classes;
        var classifier = _classifier.InputShape.Count == 0 && _classifier.Layers.Count > 0 && _classifier.Layers[0].DeclaredInput.Count == 0
            ? _classifier.Input(data) : _classifier;
        var own = classifier.Validate("the data row x").Select(e => e with { Message = "classifier: " + e.Message }).ToList();
        if (own.Count > 0) return own;
        if (!Shapes.Same(classifier.ResolvedInput(), [data]))
            errors.Add(new(BuildErrorKind.ShapeMismatch, 0, _classifier.Layers[0].Name,
                $"classifier: q(y | x) reads the data row x, [{data}] ({inputs} encoder inputs - {_generative.Classes} " +
                $"classes), but its first layer '{_classifier.Layers[0].Name}' reads {Check.Shape(classifier.ResolvedInput())}. " +
                $"Make its input width {data}."));
        var output = classifier.OutputShape()!;
        if (!Shapes.Same(output, [_generative.Classes]))
            errors.Add(new(BuildErrorKind.LikelihoodMismatch, _classifier.Layers.Count - 1, _classifier.Layers[^1].Name,
                $"classifier: q(y | x) must output {_generative.Classes} class logits, but its last layer " +
                $"'{_classifier.Layers[^1].Name}' outputs {Check.Shape(output)}. Make its output width {_generative.Classes}."));
        else if (_classifier.Layers[^1].OutputsProbabilities)
            errors.Add(new(BuildErrorKind.LikelihoodMismatch, _classifier.Layers.Count - 1, _classifier.Layers[^1].Name,
                $"classifier: q(y | x) is read as logits, but the last layer '{_classifier.Layers[^1].Name}' " +
                "outputs probabilities. Remove it."));
        return errors;
    }

    /// <summary>Creates M2 under <paramref name="policy"/> (default <see cref="ComputePolicy.Default"/>); throws
    /// listing every mistake.</summary>
    public SemiSupervisedVae Build(ComputePolicy? policy = null)
    {
        var errors = Validate();
        BuildException.ThrowIfAny("M2 declaration", errors);
        var p = policy ?? ComputePolicy.Default;
        var generative = _generative.Build(p);
        long data = generative.Model.DataFeatures;
        var classifier = (_classifier.InputShape.Count == 0
            && _classifier.Layers[0].DeclaredInput.Count == 0 ? _classifier.Input(data) : _classifier).BuildNetwork(p);
        return p.Apply(new SemiSupervisedVae(generative, classifier, Alpha));
    }

    /// <summary>
    /// Builds M2 and fits it to <paramref name="labelled"/> rows with their labels and <paramref name="unlabelled"/> rows with
    /// <see cref="VaeFitting"/>; throws listing every declaration or fitting mistake before any step.
    /// </summary>
    public VaeFitResult<SemiSupervisedVae> Fit(LabeledData labelled, Tensor unlabelled,
        VariationalFitOptions? options = null, ComputePolicy? policy = null)
    {
        var model = Build(policy);
        return new(model, VaeFitting.Fit(model, labelled, unlabelled, options));
    }
}
