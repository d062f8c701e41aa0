namespace BayesDL.Mcmc;

/// <summary>A diagonal inverse mass matrix M^-1 = diag(m): each coordinate rescaled by its posterior variance.</summary>
internal sealed class DiagonalMetric(double[] inverseMass) : Metric
{
    /// <inheritdoc/>
    internal override double Inner(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += inverseMass[i] * a[i] * b[i];
        return sum;
    }

    /// <inheritdoc/>
    internal override void Drift(double[] q, double[] p, double eps, double[] into)
    {
        for (int i = 0; i < q.Length; i++) into[i] = q[i] + eps * inverseMass[i] * p[i];
    }

    /// <inheritdoc/>
    internal override void ScaleMomentum(double[] z)
    {
        for (int i = 0; i < z.Length; i++) z[i] /= Math.Sqrt(inverseMass[i]);
    }

    /// <inheritdoc/>
    internal override double[] InverseMassDiagonal => inverseMass;
}
