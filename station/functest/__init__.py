"""Function tests of a laptop: one module per function (keyboard, pointer, display, audio, camera,
network and radios, USB ports, battery discharge), each giving a typed `FunctionResult`."""
