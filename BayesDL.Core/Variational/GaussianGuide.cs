using BayesDL.Engine;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BayesDL.Variational;

/// <summary>
/// A Gaussian q(x) = N(mu, Sigma) on the unconstrained space of a model, in one of the <see cref="GuideFamily"/> forms, with
/// the reparameterised draws x = mu + S eps (eps ~ N(0, I)) and the entropy that ADVI's ELBO needs
/// (Kucukelbir et al. 2017, eq. 7-9):
/// <list type="bullet">
/// <item>mean field: S = D = diag(exp omega), H[q] = sum omega + P/2 (1 + log 2 pi);</item>
/// <item>full rank: S = L = D U with U unit lower-triangular (its strictly lower part B free), so L_ij = exp(omega_i) B_ij and
/// H[q] = sum omega + P/2 (1 + log 2 pi);</item>
/// <item>low rank: Sigma = D (I + G G^T) D, i.e. F = D G in F F^T + D^2; x = mu + D (eps_2 + G eps_1) with eps_1 [r],
/// eps_2 [P]; log det Sigma = 2 sum omega + log det(I_r + G^T G) (the matrix determinant lemma).</item>
/// </list>
/// The correlation parameters B and G are relative to each coordinate's scale exp(omega_i): an optimizer step of a given size
/// changes correlations, not absolute spreads, so a posterior whose sds are 1e-3 is fitted as easily as one whose sds are 1.
/// The optimizer's parameters may live in whitened coordinates: with a fixed shift m and a fixed factor A (lower-triangular [P, P],
/// or diagonal [P]), q is the law of x = m + A z with z ~ N(mu, Sigma_z) of the form above, so
/// mean m + A mu, covariance A Sigma_z A^T, H[q] = H[q_z] + log |det A| and log q(x) = log q_z(A^-1 (x - m)) - log |det A|.
/// A dense A keeps a full-rank guide full rank; a diagonal A keeps mean-field and low-rank guides in their families. The family
/// and the ELBO's optimum are the same as without A; only the optimizer's geometry changes (<see cref="AdviInitialization.Laplace"/>
/// sets m to the mode and A A^T to the inverse negative Hessian there, so that the posterior is close to N(0, I) in z).
/// It starts at mu = 0, Sigma_z = I (without A: Stan's initialisation; G starts as small random numbers, since G = 0 is a
/// stationary point of the ELBO in G).
/// </summary>
public sealed class GaussianGuide : IDisposable
{
    readonly Parameter _loc;
    readonly Parameter _scale;     // omega [P]
    readonly Parameter? _factor;   // B [P, P] (full rank, strictly lower part used) or G [P, r] (low rank)
    readonly Tensor? _shift;       // m [P] of x = m + A z, or null: x = z
    readonly Tensor? _basis;       // A: [P] (diagonal) or [P, P] (lower-triangular), or null: the identity

    /// <summary>
    /// A guide of <paramref name="family"/> at mu = 0, Sigma_z = I in the coordinates z of x = <paramref name="shift"/> +
    /// <paramref name="basis"/> z (both null: x = z; a [P] basis is diagonal, a [P, P] one lower-triangular with a positive
    /// diagonal, dense only for the full-rank family). The guide keeps its own copies.
    /// </summary>
    internal GaussianGuide(GuideFamily family, int dimension, int rank, ComputePolicy policy, Tensor? shift = null, Tensor? basis = null)
    {
        if (shift is not null && basis is not null)
        {
            using var noGrad = no_grad();
            _shift = shift.detach().clone().to(policy.Dtype, policy.Device);
            _basis = basis.detach().clone().to(policy.Dtype, policy.Device);
        }
        Family = family;
        Dimension = dimension;
        Rank = family switch { GuideFamily.FullRank => dimension, GuideFamily.LowRank => rank, _ => 0 };
        var (dtype, device) = (policy.Dtype, policy.Device);
        _loc = new Parameter(zeros(dimension, dtype: dtype, device: device));
        _scale = new Parameter(zeros(dimension, dtype: dtype, device: device));
        if (family == GuideFamily.FullRank)
            _factor = new Parameter(zeros(dimension, dimension, dtype: dtype, device: device));
        else if (family == GuideFamily.LowRank)
            _factor = new Parameter(randn(dimension, rank, dtype: dtype, device: device) * 0.1);
    }

    /// <summary>The family.</summary>
    public GuideFamily Family { get; }

    /// <summary>P, the dimension of the unconstrained space.</summary>
    public int Dimension { get; }

    /// <summary>r: P for full rank, the factor's rank for low rank, 0 for mean field.</summary>
    public int Rank { get; }

    /// <summary>The tensors the optimizer moves.</summary>
    internal IReadOnlyList<Parameter> Parameters => _factor is null ? [_loc, _scale] : [_loc, _scale, _factor];

    /// <summary>The mean m + A mu [P], a copy.</summary>
    public Tensor Mean
    {
        get { using (no_grad()) return Map(_loc.unsqueeze(0)).squeeze(0).detach().clone(); }
    }

    /// <summary>Sigma [P, P], a copy.</summary>
    public Tensor Covariance
    {
        get
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Tensor cov = Family switch
            {
                GuideFamily.FullRank => Lower().matmul(Lower().T),
                GuideFamily.LowRank => LowRankFactor().matmul(LowRankFactor().T) + diag((_scale * 2).exp()),
                _ => diag((_scale * 2).exp()),
            };
            if (_basis is not null)
                cov = _basis.dim() == 1 ? cov * _basis.outer(_basis) : _basis.matmul(cov).matmul(_basis.T);
            return cov.detach().MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// <paramref name="n"/> reparameterised draws [n, P], differentiable in the guide's parameters, from the engine's generator.
    /// </summary>
    public Tensor RSample(long n)
    {
        using var scope = NewDisposeScope();
        Tensor eps = randn(n, Dimension, dtype: _loc.dtype, device: _loc.device);
        Tensor x = Family switch
        {
            GuideFamily.FullRank => _loc + eps.matmul(Lower().T),
            GuideFamily.LowRank => _loc + (randn(n, Rank, dtype: _loc.dtype, device: _loc.device).matmul(_factor!.T) + eps) * _scale.exp(),
            _ => _loc + eps * _scale.exp(),
        };
        return Map(x).MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="n"/> draws [n, P] without gradients.</summary>
    public Tensor Sample(long n)
    {
        using (no_grad()) return RSample(n).detach();
    }

    /// <summary>H[q] = 1/2 log det Sigma + P/2 (1 + log 2 pi), a scalar differentiable in the guide's parameters.</summary>
    public Tensor Entropy()
    {
        using var scope = NewDisposeScope();
        Tensor halfLogDet = Family switch
        {
            GuideFamily.LowRank => _scale.sum() + 0.5 * CapacitanceLogDet(),
            _ => _scale.sum(),
        };
        return (halfLogDet + LogDetBasis() + 0.5 * Dimension * (1 + Math.Log(2 * Math.PI))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// log q(x) [n] of <paramref name="x"/> [n, P]: with z = x - mu and H[q]'s normaliser,
    /// log q(x) = -1/2 z^T Sigma^-1 z - 1/2 log det Sigma - P/2 log 2 pi, where z^T Sigma^-1 z is
    /// |D^-1 z|^2 (mean field), |L^-1 z|^2 (full rank, a triangular solve) or, with u = D^-1 z and the Woodbury identity
    /// (I + G G^T)^-1 = I - G (I_r + G^T G)^-1 G^T, |u|^2 - |R^-1 G^T u|^2 where R R^T = I_r + G^T G (low rank).
    /// </summary>
    public Tensor LogProb(Tensor x)
    {
        Validation.Check.Argument(x is not null && x.dim() == 2 && x.shape[1] == Dimension, nameof(GaussianGuide), nameof(x),
            x is null ? "null" : $"shape {Validation.Check.Shape(x.shape)}", $"a [n, {Dimension}] tensor", "Pass one row per point.");
        using var scope = NewDisposeScope();
        Tensor z = Unmap(x!) - _loc;
        Tensor quadratic = Family switch
        {
            GuideFamily.FullRank => linalg.solve_triangular(Lower(), z.T, upper: false).square().sum(new long[] { 0 }),
            GuideFamily.LowRank => LowRankQuadratic(z * (-_scale).exp()),
            _ => (z * (-_scale).exp()).square().sum(1),
        };
        Tensor halfLogDet = Family == GuideFamily.LowRank ? _scale.sum() + 0.5 * CapacitanceLogDet() : _scale.sum();
        return (-0.5 * quadratic - halfLogDet - LogDetBasis() - 0.5 * Dimension * Math.Log(2 * Math.PI)).MoveToOuterDisposeScope();
    }

    /// <summary>x = m + A z per row of <paramref name="z"/> [n, P] (z itself without a basis).</summary>
    Tensor Map(Tensor z) => _basis is null ? z : _shift! + (_basis.dim() == 1 ? z * _basis : z.matmul(_basis.T));

    /// <summary>z = A^-1 (x - m) per row of <paramref name="x"/> [n, P], by a triangular solve for a dense A.</summary>
    Tensor Unmap(Tensor x) => _basis is null ? x
        : _basis.dim() == 1 ? (x - _shift!) / _basis
        : linalg.solve_triangular(_basis, (x - _shift!).T, upper: false).T;

    /// <summary>log |det A| = sum_i log |A_ii| (0 without a basis).</summary>
    Tensor LogDetBasis() => _basis is null ? zeros(1, dtype: _loc.dtype, device: _loc.device).sum()
        : (_basis.dim() == 1 ? _basis : _basis.diagonal()).abs().log().sum();

    /// <summary>u^T (I + G G^T)^-1 u per row of u [n, P], by the Woodbury identity.</summary>
    Tensor LowRankQuadratic(Tensor u)
    {
        Tensor capacitance = eye(Rank, dtype: _loc.dtype, device: _loc.device) + _factor!.T.matmul(_factor!);
        Tensor w = linalg.solve_triangular(linalg.cholesky(capacitance), _factor!.T.matmul(u.T), upper: false);
        return u.square().sum(1) - w.square().sum(new long[] { 0 });  // sum(0) would be sum(ScalarType.Byte)
    }

    /// <summary>log det(I_r + G^T G), through its Cholesky factor.</summary>
    Tensor CapacitanceLogDet()
    {
        Tensor capacitance = eye(Rank, dtype: _loc.dtype, device: _loc.device) + _factor!.T.matmul(_factor!);
        return linalg.cholesky(capacitance).diagonal().log().sum() * 2;
    }

    /// <summary>F = D G.</summary>
    Tensor LowRankFactor() => _factor! * _scale.exp().unsqueeze(1);

    /// <summary>L = D (I + strictly-lower(B)).</summary>
    Tensor Lower() => (_factor!.tril(-1) + eye(Dimension, dtype: _loc.dtype, device: _loc.device)) * _scale.exp().unsqueeze(1);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Parameter p in Parameters) p.Dispose();
        _shift?.Dispose();
        _basis?.Dispose();
    }
}
