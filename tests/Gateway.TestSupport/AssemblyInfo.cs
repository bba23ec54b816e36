namespace Gateway.TestSupport;
