namespace Gateway.Integration.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Test_project_runs() => Assert.Equal(4, 2 + 2);
}
