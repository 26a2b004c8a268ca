using LstmStreams.Core.Model;

namespace LstmStreams.Core.Tests.Maths;

/// <summary>
/// The textbook form, written as plainly as possible in double precision: separate products W_ih·x and
/// W_hh·h per gate block, no fusion, no batching. Used to show the fused kernels compute the same thing.
/// </summary>
internal static class SeparateFormOracle
{
    public static void Step(RecurrentModel model, ReadOnlySpan<float> x, float[] state, Span<float> output)
    {
        int hidden = model.HiddenSize;
        double[] input = new double[x.Length];
        for (int i = 0; i < x.Length; i++) input[i] = x[i];
        for (int k = 0; k < model.LayerCount; k++)
        {
            var layer = model.Layers[k];
            int hOffset = model.HiddenOffset(k);
            double[] h = new double[hidden];
            for (int j = 0; j < hidden; j++) h[j] = state[hOffset + j];
            double Wx(int row) => Dot(layer.WeightIh, row, layer.InputSize, input) + (layer.BiasIh?[row] ?? 0);
            double Uh(int row) => Dot(layer.WeightHh, row, hidden, h) + (layer.BiasHh?[row] ?? 0);
            var next = new double[hidden];
            if (model.Cell == CellKind.Lstm)
            {
                int cOffset = model.CellOffset(k);
                for (int j = 0; j < hidden; j++)
                {
                    double i = Sigmoid(Wx(j) + Uh(j));
                    double f = Sigmoid(Wx(hidden + j) + Uh(hidden + j));
                    double g = Math.Tanh(Wx(2 * hidden + j) + Uh(2 * hidden + j));
                    double o = Sigmoid(Wx(3 * hidden + j) + Uh(3 * hidden + j));
                    double c = f * state[cOffset + j] + i * g;
                    state[cOffset + j] = (float)c;
                    next[j] = o * Math.Tanh(c);
                }
            }
            else
            {
                for (int j = 0; j < hidden; j++)
                {
                    double r = Sigmoid(Wx(j) + Uh(j));
                    double z = Sigmoid(Wx(hidden + j) + Uh(hidden + j));
                    double n = Math.Tanh(Wx(2 * hidden + j) + r * Uh(2 * hidden + j));
                    next[j] = (1 - z) * n + z * h[j];
                }
            }

            for (int j = 0; j < hidden; j++) state[hOffset + j] = (float)next[j];
            input = next;
        }

        if (model.Head is not { } head)
        {
            for (int j = 0; j < hidden; j++) output[j] = (float)input[j];
            return;
        }

        var y = input;
        foreach (var layer in head.Layers)
        {
            var previous = y;
            y = new double[layer.OutputSize];
            for (int o = 0; o < y.Length; o++) y[o] = Dot(layer.Weight, o, layer.InputSize, previous) + (layer.Bias?[o] ?? 0);
            Activate(layer.Activation, y);
        }

        for (int o = 0; o < y.Length; o++) output[o] = (float)y[o];
    }

    private static void Activate(HeadActivation activation, double[] y)
    {
        switch (activation)
        {
            case HeadActivation.Sigmoid:
                for (int o = 0; o < y.Length; o++) y[o] = Sigmoid(y[o]);
                break;
            case HeadActivation.Tanh:
                for (int o = 0; o < y.Length; o++) y[o] = Math.Tanh(y[o]);
                break;
            case HeadActivation.Relu:
                for (int o = 0; o < y.Length; o++) y[o] = Math.Max(y[o], 0);
                break;
            case HeadActivation.Gelu:
                for (int o = 0; o < y.Length; o++) y[o] = 0.5 * y[o] * (1 + MathNet.Numerics.SpecialFunctions.Erf(y[o] / Math.Sqrt(2)));
                break;
            case HeadActivation.Softmax:
                double max = y.Max(), sum = 0;
                for (int o = 0; o < y.Length; o++) sum += y[o] = Math.Exp(y[o] - max);
                for (int o = 0; o < y.Length; o++) y[o] /= sum;
                break;
        }
    }

    private static double Dot(float[] matrix, int row, int columns, double[] vector)
    {
        double sum = 0;
        for (int c = 0; c < columns; c++) sum += (double)matrix[row * columns + c] * vector[c];
        return sum;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
