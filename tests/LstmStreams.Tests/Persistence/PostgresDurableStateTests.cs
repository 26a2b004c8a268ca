using LstmStreams.Persistence;

namespace LstmStreams.Tests.Persistence;

/// <summary>The durable-state contract on a real PostgreSQL server (its own throw-away one), a fresh database per store.</summary>
public sealed class PostgresDurableStateTests : DurableStateContract, IClassFixture<PostgresServer>
{
    private readonly PostgresServer _server;

    public PostgresDurableStateTests(PostgresServer server) => _server = server;

    protected override StoreLocation NewStore() => StoreLocation.Parse("postgres:" + _server.CreateDatabase());
}
