namespace Judge.Cli;

/// <summary>The documented exit codes of the <c>judge</c> command.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>A quality threshold was not met.</summary>
    public const int ThresholdFailed = 1;

    /// <summary>The command line or an input file is wrong: nothing was judged, or the run stopped at the bad input.</summary>
    public const int UsageOrInput = 2;

    /// <summary>The judge could not be built or reached, or some judge calls failed (their items have no verdict).</summary>
    public const int JudgeError = 3;

    /// <summary>The user stopped the command (Ctrl-C); what was judged is kept and the run can be resumed.</summary>
    public const int Interrupted = 130;
}
