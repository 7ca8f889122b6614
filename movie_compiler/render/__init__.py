"""Running ParaView: finding pvbatch, a private X server, the render loop's progress."""
