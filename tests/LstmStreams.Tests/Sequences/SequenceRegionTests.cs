using Akka.Actor;
using LstmStreams.Sequences;

namespace LstmStreams.Tests.Sequences;

/// <summary>The region's protocol with its entities, with a scripted entity in place of a sequence actor.</summary>
public sealed class SequenceRegionTests : Akka.TestKit.Xunit2.TestKit
{
    [Fact]
    public void Region_delivers_messages_sent_during_passivation_to_a_successor()
    {
        var region = Sys.ActorOf(SequenceRegion.Props(Props.Create(() => new ScriptedEntity(TestActor)), new NeverPassivate()));
        region.Tell(new Command("a", "hello"));
        var first = ExpectMsg<Received>().Entity;

        region.Tell(new Command("a", "passivate-as:a"));
        ExpectMsg<Received>();
        region.Tell(new Command("a", "after")); // buffered: the entity is passivating
        Assert.Equal("a", ExpectMsg<StopSequence>().SequenceId);
        var successor = ExpectMsg<Received>();

        Assert.Equal("after", successor.Text);
        Assert.NotEqual(first, successor.Entity);
    }

    [Fact]
    public void Region_ignores_a_passivation_that_names_another_sequences_entity()
    {
        var region = Sys.ActorOf(SequenceRegion.Props(Props.Create(() => new ScriptedEntity(TestActor)), new NeverPassivate()));
        region.Tell(new Command("b", "hello"));
        var b = ExpectMsg<Received>().Entity;
        region.Tell(new Command("a", "passivate-as:b"));
        ExpectMsg<Received>();

        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // no StopSequence to either entity
        region.Tell(new Command("b", "still there"));
        Assert.Equal(b, ExpectMsg<Received>().Entity);
    }

    [Fact]
    public void Region_replaces_an_entity_that_failed_before_learning_its_id()
    {
        var region = Sys.ActorOf(SequenceRegion.Props(Props.Create(() => new ScriptedEntity(TestActor)), new NeverPassivate()));
        region.Tell(new Command("a", "fail"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // stopped by the region's supervision; told it with no id

        region.Tell(new Command("a", "hello"));
        Assert.Equal("hello", ExpectMsg<Received>().Text);
    }

    [Fact]
    public void Region_gives_a_released_entity_the_next_new_sequence_and_a_buffered_message_its_successor()
    {
        var region = Sys.ActorOf(SequenceRegion.Props(Props.Create(() => new ScriptedEntity(TestActor)), new NeverPassivate()));
        region.Tell(new Command("r", "hello"));
        var first = ExpectMsg<Received>().Entity;
        region.Tell(new Command("r", "passivate-as:r"));
        ExpectMsg<Received>();
        region.Tell(new Command("r", "buffered")); // the entity is passivating: kept for its successor
        Assert.Equal("r", ExpectMsg<StopSequence>().SequenceId); // it releases itself instead of stopping

        var successor = ExpectMsg<Received>();
        Assert.Equal("buffered", successor.Text);
        Assert.Equal(first, successor.Entity); // the same actor, given the sequence again: none was created
        region.Tell(new Command("s", "new"));
        var b = ExpectMsg<Received>();
        Assert.NotEqual(first, b.Entity); // r is live again: s gets an actor of its own
    }

    private sealed record Command(string SequenceId, string Text) : ISequenceMessage;

    private sealed record Received(string Text, IActorRef Entity);

    /// <summary>Learns its id from its first message, as a sequence actor does; a command "fail" fails it
    /// before that, "passivate-as:ID" passivates it with a stop message naming ID.</summary>
    private sealed class ScriptedEntity(IActorRef probe) : UntypedActor
    {
        private string? _id;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Command { Text: "fail" }:
                    throw new InvalidOperationException("failed on its first message");
                case Command command:
                    _id ??= command.SequenceId;
                    // Passivate before telling the probe: the region has it before the test's next command.
                    if (command.Text.StartsWith("passivate-as:", StringComparison.Ordinal))
                        Context.Parent.Tell(new Passivate(new StopSequence(command.Text["passivate-as:".Length..])));
                    probe.Tell(new Received(command.Text, Self));
                    break;
                case StopSequence { SequenceId: "r" } stop when _id == "r": // "r" releases itself, as a sequence actor does
                    probe.Tell(stop);
                    Context.Parent.Tell(new SequenceReleased("r", Self));
                    _id = null;
                    break;
                case StopSequence stop:
                    probe.Tell(stop);
                    Context.Stop(Self);
                    break;
            }
        }

        protected override void PostStop() => Context.Parent.Tell(new SequenceStopped(_id, Self));
    }
}
