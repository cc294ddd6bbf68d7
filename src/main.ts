// Boot only: importing the shell defines <sightline-app>, which index.html already contains.
import './app/sightline-app.ts';
