// "My day": the first-contact timers count down and change colour with the clock.
import { keepTimesCurrent } from "./times.js";

keepTimesCurrent();
