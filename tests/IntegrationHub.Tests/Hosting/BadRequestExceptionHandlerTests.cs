using IntegrationHub.Hosting;

namespace IntegrationHub.Tests.Hosting;

public sealed class BadRequestExceptionHandlerTests
{
    [Fact]
    public void Describe_ExceptionsOfTheSameTypesThrownByHubCode_StayServerErrors()
    {
        // A bug of ours must not hide as a 400: only ASP.NET Core's request readers are trusted to mean "bad request".
        Assert.Null(BadRequestExceptionHandler.Describe(Thrown(() => throw new InvalidDataException("corrupt state")), null));
        Assert.Null(BadRequestExceptionHandler.Describe(Thrown(() => throw new Microsoft.AspNetCore.Http.BadHttpRequestException("misused")), null));
        Assert.Null(BadRequestExceptionHandler.Describe(new InvalidDataException("never thrown, no stack trace"), null));
    }

    private static Exception Thrown(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            return ex;
        }
        throw new InvalidOperationException("The action did not throw.");
    }
}
