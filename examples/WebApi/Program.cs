// POST /observations {"seq": "pump-7", "x": [0.1, 0.2, 0.3, 0.4], "t": 17}  ->  200 {"seq", "t", "y"}
//                                                                          or 422 {"position", "seq", "reason", "kind"}
// Configuration (appsettings.json or environment, e.g. LstmStreams__ModelPath=…):
//   "LstmStreams": { "ModelPath": "model.safetensors", "Store": "sqlite:data/web.db" }
using Akka.Actor;
using Akka.Hosting;
using LstmStreams.Hosting;
using LstmStreams.Pipeline;

var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection("LstmStreams").Get<LstmStreamsOptions>() ?? new LstmStreamsOptions();
builder.Services.AddAkka("web", akka => akka
    .ConfigureLoggers(loggers => loggers.AddLoggerFactory()) // Akka's log through Microsoft.Extensions.Logging
    .WithLstmStreams(options));

var app = builder.Build();
app.MapPost("/observations", async (ObservationRequest request, ActorSystem system, CancellationToken cancel) =>
{
    if (string.IsNullOrEmpty(request.Seq) || request.X is null)
        return Results.BadRequest(new { reason = "an observation needs \"seq\" (a string) and \"x\" (an array of numbers)" });
    var result = await SequencePredictor.For(system).PredictAsync(new Observation(request.Seq, request.X, request.T), cancel);
    return result switch
    {
        Prediction p => Results.Ok(new { seq = p.SequenceId, t = p.T, y = p.Y }),
        ObservationError e => Results.UnprocessableEntity(new { position = e.Position, seq = e.SequenceId, reason = e.Reason, kind = e.Kind.ToString() }),
        _ => Results.StatusCode(500),
    };
});
app.Run();

/// <summary>One observation as posted: the sequence id, its features and optionally its time.</summary>
internal sealed record ObservationRequest(string Seq, float[] X, long? T);
