namespace BayesDL.Mcmc;

/// <summary>The stochastic-gradient MCMC samplers (<see cref="SgmcmcSampling"/>); η is the step size, ∇Ũ the minibatch gradient of the
/// full-data potential, T the posterior temperature, ξ ~ N(0, I).</summary>
public enum SgmcmcKind
{
    /// <summary>Stochastic gradient Langevin dynamics (Welling &amp; Teh 2011): θ ← θ − η ∇Ũ(θ) + √(2 η T) ξ.</summary>
    Sgld,

    /// <summary>
    /// Preconditioned SGLD (Li, Chen, Carlson &amp; Carin 2016) with the RMSprop preconditioner: V ← a V + (1 − a) ḡ ⊙ ḡ (ḡ the
    /// per-example gradient), G = 1 / (λ + √V), θ ← θ − η G ⊙ ∇Ũ(θ) + √(2 η T G) ⊙ ξ (the paper's Γ correction term is dropped, as
    /// the paper does in its experiments).
    /// </summary>
    PreconditionedSgld,

    /// <summary>
    /// Stochastic gradient Hamiltonian Monte Carlo (Chen, Fox &amp; Guestrin 2014, eq. 15, with the noise estimate β̂ = 0):
    /// v ← (1 − α) v − η ∇Ũ(θ) + √(2 α η T) ξ, θ ← θ + v, with friction α.
    /// </summary>
    Sghmc,
}
