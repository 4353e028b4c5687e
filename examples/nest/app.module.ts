import { CacheModule } from '@nestjs/cache-manager';
import { Module } from '@nestjs/common';
import { KeyvLarder } from 'larder/keyv';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

// cache-manager (Nest's CacheModule) stores in larder through KeyvLarder, over the `http` alias
// (resolved at each call, so configureCaches may run after this module is loaded).
@Module({
  imports: [CacheModule.register({ stores: [new KeyvLarder('http')] })],
  controllers: [UsersController],
  providers: [UsersService],
})
export class AppModule {}
