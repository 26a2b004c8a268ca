using LstmStreams.Core.Kernels;
using LstmStreams.Core.Model;

namespace LstmStreams.Cli.Bench.Onnx;

/// <summary>
/// <c>-- check-onnx</c>: shows that the ONNX peer computes what our kernels compute (same weights, gate
/// orders mapped, state fed back), by stepping both a few times and printing the largest |Δ| of the state.
/// </summary>
public static class OnnxAgreement
{
    public static int Run()
    {
        double worst = 0;
        foreach (var cell in new[] { CellKind.Lstm, CellKind.Gru })
        {
            const int batch = 5, steps = 4;
            var model = KernelTableCommand.RandomModel(cell, 3, 37, 2);
            using var onnx = new OnnxRecurrentStepper(model, batch, 1);
            using var ours = StepKernels.Create(model, KernelBackend.Reference, batch);
            var x = KernelTableCommand.RandomInputs(batch * model.InputSize);
            var states = Enumerable.Range(0, batch).Select(_ => model.NewState()).ToArray();
            var y = new float[batch * model.OutputSize];
            for (int t = 0; t < steps; t++)
            {
                onnx.Step();
                ours.Step(x, states, y);
            }

            double delta = 0;
            for (int k = 0; k < model.LayerCount; k++)
                for (int b = 0; b < batch; b++)
                    for (int j = 0; j < model.HiddenSize; j++)
                    {
                        delta = Math.Max(delta, Math.Abs(onnx.Hidden(k)[b * model.HiddenSize + j] - states[b][model.HiddenOffset(k) + j]));
                        if (cell == CellKind.Lstm)
                            delta = Math.Max(delta, Math.Abs(onnx.Cell(k)[b * model.HiddenSize + j] - states[b][model.CellOffset(k) + j]));
                    }

            Console.WriteLine($"{cell.ToName()} 2×37, {steps} steps of {batch} sequences: max |onnxruntime − reference| = {delta:E2}");
            worst = Math.Max(worst, delta);
        }

        return worst <= 1e-5 ? 0 : 1;
    }
}
