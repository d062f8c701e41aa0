using TorchSharp;
using static TorchSharp.torch;

namespace BayesDL.Engine;

/// <summary>
/// Where tensors live and at which precision: every BayesDL component takes one of these instead of
/// choosing a device or dtype on its own. <see cref="Default"/> picks CUDA when the CUDA backend is
/// installed and a device is present, else the CPU, with float32.
/// </summary>
/// <param name="Device">The device new tensors are created on.</param>
/// <param name="Dtype">The floating-point type of new tensors: <see cref="ScalarType.Float32"/> or
/// <see cref="ScalarType.Float64"/>.</param>
public sealed record ComputePolicy(Device Device, ScalarType Dtype)
{
    /// <summary>CUDA if available, else CPU; float32.</summary>
    public static ComputePolicy Default => new(NativeEngine.BestDevice(), ScalarType.Float32);

    /// <summary>The CPU at float32.</summary>
    public static ComputePolicy Cpu => new(CPU, ScalarType.Float32);

    /// <summary>The same device at float64, for checks that need double precision.</summary>
    public ComputePolicy Float64() => this with { Dtype = ScalarType.Float64 };

    /// <summary>The same device at float32.</summary>
    public ComputePolicy Float32() => this with { Dtype = ScalarType.Float32 };

    /// <summary>The same precision on another device.</summary>
    public ComputePolicy On(Device device) => this with { Device = device };

    /// <summary>A tensor of the given values and shape on this policy's device and dtype.</summary>
    public Tensor Tensor(double[] values, params long[] shape)
    {
        if (values.Length != (shape.Length == 0 ? 1 : shape.Aggregate(1L, (a, b) => a * b))) // the message only when needed: a hot path
            throw Validation.Check.Error(nameof(ComputePolicy), "values", $"{values.Length} values",
                $"as many values as the shape {Validation.Check.Shape(shape)} holds");
        using var t = torch.tensor(values, dtype: ScalarType.Float64);
        // Always a copy in the engine's own memory: torch.tensor over a double[] shares the pinned managed array, whose address
        // (and so alignment) varies from run to run, and vectorised kernels then differ in the last bits between runs.
        return t.reshape(shape).to(Dtype, Device, copy: true);
    }

    /// <summary>A scalar tensor on this policy's device and dtype.</summary>
    public Tensor Scalar(double value) => torch.tensor(value, dtype: Dtype, device: Device);

    /// <summary>Moves (and converts) a tensor to this policy; returns the same tensor when nothing changes.</summary>
    public Tensor Apply(Tensor t) =>
        t.device.type == Device.type && t.device.index == Device.index && t.dtype == Dtype ? t : t.to(Dtype, Device);

    /// <summary>A module moved to this policy's device and dtype.</summary>
    public T Apply<T>(T module) where T : nn.Module
    {
        module.to(Device);
        module.to(Dtype);
        return module;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Device.type.ToString().ToLowerInvariant()}/{Dtype.ToString().ToLowerInvariant()}";
}
