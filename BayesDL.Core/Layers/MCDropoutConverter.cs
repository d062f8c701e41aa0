using BayesDL.Validation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Layers;

/// <summary>
/// Makes an existing TorchSharp <see cref="Sequential"/> MC-dropout capable (Gal &amp; Ghahramani 2016:
/// dropout before every weight layer, kept on at test time). Before each <c>Linear</c> it puts an
/// element-wise <see cref="MCDropout"/>, before each <c>Conv1d/2d/3d</c> a channel-wise
/// <see cref="MCSpatialDropout"/>, unless an (MC) dropout layer already precedes it; existing
/// <c>Dropout</c>/<c>Dropout2d</c> layers are turned into their MC counterparts with the same p. Nested
/// <c>Sequential</c>s are converted recursively. The result shares the original's modules (trained weights
/// are kept, not copied), so convert a trained network and predict with it directly.
/// </summary>
public static class MCDropoutConverter
{
    /// <summary>A new Sequential with MC dropout before every weight layer (see the class remarks).</summary>
    public static Sequential Convert(Sequential model, MCDropoutConversion? options = null)
    {
        options ??= new MCDropoutConversion();
        Check.Argument(double.IsFinite(options.P) && options.P >= 0 && options.P < 1, nameof(MCDropoutConverter), "P",
            options.P.ToString("R"), "in [0, 1)");
        double inputP = options.InputP ?? options.P;
        Check.Argument(double.IsFinite(inputP) && inputP >= 0 && inputP < 1, nameof(MCDropoutConverter), "InputP",
            inputP.ToString("R"), "in [0, 1)");
        bool first = true;
        int inserted = 0;
        return ConvertSequential(model, options, inputP, ref first, ref inserted);
    }

    static Sequential ConvertSequential(Sequential model, MCDropoutConversion options, double inputP, ref bool first, ref int inserted)
    {
        var result = new List<(string, nn.Module<Tensor, Tensor>)>();
        bool dropoutBefore = false;
        foreach (var (name, child) in model.named_children())
        {
            var module = child as nn.Module<Tensor, Tensor> ?? throw Check.Error(nameof(MCDropoutConverter), "model",
                $"child '{name}' of type {child.GetType().Name}", "a Sequential of tensor-to-tensor modules");
            switch (module)
            {
                case Sequential inner:
                    result.Add((name, ConvertSequential(inner, options, inputP, ref first, ref inserted)));
                    dropoutBefore = false;
                    break;
                case Dropout d when options.ReplaceExistingDropout:
                    result.Add((name, new MCDropout(d.p, name)));
                    dropoutBefore = true;
                    break;
                case Dropout2d d when options.ReplaceExistingDropout:
                    result.Add((name, new MCSpatialDropout(d.p, name)));
                    dropoutBefore = true;
                    break;
                case MonteCarloDropoutLayer:
                    result.Add((name, module));
                    dropoutBefore = true;
                    break;
                case ConcreteDropout:
                    // A weight layer that brings its own (learned) dropout.
                    result.Add((name, module));
                    first = false;
                    dropoutBefore = false;
                    break;
                case Linear or Conv1d or Conv2d or Conv3d:
                    double p = first ? inputP : options.P;
                    if (!dropoutBefore && p > 0)
                    {
                        string dropName = $"mc_dropout_{inserted++}";
                        result.Add((dropName, module is Linear ? new MCDropout(p, dropName) : new MCSpatialDropout(p, dropName)));
                    }
                    result.Add((name, module));
                    first = false;
                    dropoutBefore = false;
                    break;
                default:
                    result.Add((name, module));
                    // Element-wise activations keep a preceding dropout directly before the next weight layer in effect.
                    if (module is not (ReLU or Tanh or Sigmoid or GELU or LeakyReLU or ELU or SiLU or Flatten)) dropoutBefore = false;
                    break;
            }
        }
        return nn.Sequential(result.ToArray());
    }
}
