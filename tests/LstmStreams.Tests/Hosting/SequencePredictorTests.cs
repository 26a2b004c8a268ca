using Akka.Actor;
using Akka.Hosting;
using LstmStreams.Hosting;
using LstmStreams.Pipeline;
using LstmStreams.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace LstmStreams.Tests.Hosting;

public sealed class SequencePredictorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PredictAsync_in_a_generic_host_answers_concurrent_callers_with_each_sequences_own_outputs()
    {
        var model = TestModels.Random(input: 3, hidden: 5, layers: 2, output: 2);
        var random = new Random(11);
        var perSequence = Enumerable.Range(0, 24)
            .Select(s => Enumerable.Range(0, 15).Select(_ => new Observation($"user-{s}", TestModels.Features(random, 3))).ToList())
            .ToList();
        var expected = TestModels.SteppedAlone(model, perSequence.SelectMany(o => o));

        using var host = await StartHost(b => b.WithLstmStreams(model, StreamingSettings.Default with { Kernel = Core.Kernels.KernelBackend.Reference }));
        var predictor = SequencePredictor.For(host.Services.GetRequiredService<ActorSystem>());
        // Sequences call concurrently; each one's calls follow each other, as a client's requests would.
        var answers = await Task.WhenAll(perSequence.Select(async observations =>
        {
            var results = new List<(Observation, StreamResult)>();
            foreach (var observation in observations) results.Add((observation, await predictor.PredictAsync(observation).WaitAsync(Timeout)));
            return results;
        }));

        foreach (var (observation, result) in answers.SelectMany(a => a))
        {
            var prediction = Assert.IsType<Prediction>(result);
            Assert.Equal(observation.SequenceId, prediction.SequenceId);
            Assert.Equal(expected[observation], prediction.Y);
        }

        Assert.Equal(24 * 15, predictor.Metrics.Emitted);
    }

    [Fact]
    public async Task PredictAsync_answers_a_rejected_observation_with_its_error_record()
    {
        var model = TestModels.Random(input: 3, hidden: 4, layers: 1, output: 1);
        using var host = await StartHost(b => b.WithLstmStreams(model));
        var predictor = SequencePredictor.For(host.Services.GetRequiredService<ActorSystem>());

        var wrongWidth = await predictor.PredictAsync(new Observation("a", [1f, 2f])).WaitAsync(Timeout);
        var notANumber = await predictor.PredictAsync(new Observation("a", [1f, float.NaN, 0f])).WaitAsync(Timeout);
        var first = await predictor.PredictAsync(new Observation("b", [1f, 2f, 3f], t: 10)).WaitAsync(Timeout);
        var replay = await predictor.PredictAsync(new Observation("b", [1f, 2f, 3f], t: 10)).WaitAsync(Timeout);

        Assert.Equal(ObservationErrorKind.Invalid, Assert.IsType<ObservationError>(wrongWidth).Kind);
        Assert.Equal(ObservationErrorKind.Invalid, Assert.IsType<ObservationError>(notANumber).Kind);
        Assert.IsType<Prediction>(first);
        Assert.Equal(ObservationErrorKind.Duplicate, Assert.IsType<ObservationError>(replay).Kind);
    }

    [Fact]
    public async Task Stopping_the_host_saves_every_state_and_a_new_host_continues_them()
    {
        var model = TestModels.Random(input: 3, hidden: 4, layers: 1, output: 2);
        string db = Path.Combine(Path.GetTempPath(), $"lstm-hosting-{Guid.NewGuid():N}.db");
        var options = new LstmStreamsOptions { ModelPath = WriteModel(model), Store = $"sqlite:{db}" };
        var random = new Random(4);
        var observations = Enumerable.Range(0, 6).Select(_ => new Observation("pump-7", TestModels.Features(random, 3))).ToList();
        var expected = TestModels.SteppedAlone(model, observations);
        try
        {
            using (var host = await StartHost(b => b.WithLstmStreams(options)))
            {
                var predictor = SequencePredictor.For(host.Services.GetRequiredService<ActorSystem>());
                foreach (var o in observations.Take(3)) await predictor.PredictAsync(o).WaitAsync(Timeout);
                await host.StopAsync();
            }

            using (var host = await StartHost(b => b.WithLstmStreams(options)))
            {
                var predictor = SequencePredictor.For(host.Services.GetRequiredService<ActorSystem>());
                foreach (var o in observations.Skip(3))
                    Assert.Equal(expected[o], Assert.IsType<Prediction>(await predictor.PredictAsync(o).WaitAsync(Timeout)).Y);
                await host.StopAsync();
                await Assert.ThrowsAsync<InvalidOperationException>(() => predictor.PredictAsync(observations[0]));
            }
        }
        finally
        {
            File.Delete(db);
        }
    }

    private static string WriteModel(Core.Model.RecurrentModel model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"lstm-hosting-{Guid.NewGuid():N}.safetensors");
        Core.Import.SafetensorsModelWriter.Save(model, path);
        return path;
    }

    private static async Task<IHost> StartHost(Action<AkkaConfigurationBuilder> configure)
    {
        var host = Host.CreateDefaultBuilder()
            .ConfigureServices(services => services.AddAkka($"hosting-test-{Guid.NewGuid():N}", configure))
            .Build();
        await host.StartAsync();
        return host;
    }
}
